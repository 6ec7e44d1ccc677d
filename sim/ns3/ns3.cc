// afmp: the ns-3 half of the ns-3 engine (see ns3.c and glue.h).
//
// Every node of the world gets an ns-3 Node without ns-3's Internet stack;
// every link becomes a PointToPointNetDevice pair on a PointToPointChannel.
// Our hosts hand raw IPv4/IPv6 datagrams to NetDevice::Send (protocol
// 0x0800 or 0x86DD; the device adds its 2-byte PPP header) and get them
// back through Node::RegisterProtocolHandler. The world's own events run
// from a "bridge" event that ns-3 schedules at the time of the world's next
// event, so that both event sets run in one time order.
//
// A Wi-Fi link is an 802.11 BSS of two: a station and an access point; a
// CSMA link a CsmaChannel with two CsmaNetDevices. Their ends find each
// other's MAC address with ARP and neighbour discovery (ns3.c, afmp's
// codecs), so those frames are on the air and on the cable too.
//
// ns-3's simulator is a process-wide singleton: one ns-3 run at a time per
// process (ns3.c holds a lock around a run).
#include "sim/ns3/glue.h"

#include <ns3/core-module.h>
#include <ns3/csma-module.h>
#include <ns3/mobility-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>
#include <ns3/wifi-module.h>

#include <map>
#include <string>
#include <vector>

using namespace ns3;

namespace {

struct End {
    uint32_t link;
    int end;
};

struct State {
    NodeContainer nodes;
    std::vector<Ptr<NetDevice>> dev[2]; // by link
    std::vector<Address> peer[2];       // by link: where end e sends
    std::map<NetDevice *, End> ends;
    EventId bridge;
    uint64_t bridge_at = MP_NS3_NEVER;
    uint64_t stop = MP_NS3_NEVER;
    std::vector<uint8_t> buf;
};

State *st;

uint64_t now_ns()
{
    return (uint64_t)Simulator::Now().GetNanoSeconds();
}

void fire();

// Makes sure a bridge event is set at the world's next event time.
void ensure()
{
    uint64_t next = mp_ns3g_next_time();
    if (next == MP_NS3_NEVER || next > st->stop)
        return;
    if (st->bridge.IsRunning()) {
        if (st->bridge_at <= next)
            return;
        Simulator::Cancel(st->bridge);
    }
    uint64_t now = now_ns();
    if (next < now)
        next = now;
    st->bridge_at = next;
    st->bridge = Simulator::Schedule(NanoSeconds((int64_t)(next - now)), &fire);
}

void fire()
{
    st->bridge_at = MP_NS3_NEVER;
    mp_ns3g_run_now(now_ns());
    if (mp_ns3g_interrupted()) {
        Simulator::Stop();
        return;
    }
    ensure();
}

void rx(Ptr<NetDevice> dev, Ptr<const Packet> p, uint16_t proto, const Address &from,
        const Address &to, NetDevice::PacketType type)
{
    (void)to;
    (void)type;
    auto it = st->ends.find(PeekPointer(dev));
    if (it == st->ends.end())
        return;
    uint32_t n = p->GetSize();
    st->buf.resize(n ? n : 1);
    p->CopyData(st->buf.data(), n);
    uint8_t src[6] = {0};
    if (Mac48Address::IsMatchingType(from))
        Mac48Address::ConvertFrom(from).CopyTo(src);
    // the device that received it is at end e: the packet was sent by !e
    mp_ns3g_receive(it->second.link, !it->second.end, proto, src, st->buf.data(), n, now_ns());
    ensure();
}

} // namespace

// The first of the fixed random streams of link |link|'s devices (a link
// uses a few dozen at most).
static int64_t stream_base(uint32_t link)
{
    return (int64_t)link * 1000;
}

extern "C" {

static void add_end(uint32_t link, int e, Ptr<NetDevice> d)
{
    if (st->dev[e].size() <= link) {
        for (int k = 0; k < 2; k++) {
            st->dev[k].resize(link + 1);
            st->peer[k].resize(link + 1);
        }
    }
    st->dev[e][link] = d;
    st->ends[PeekPointer(d)] = End{link, e};
    d->GetNode()->RegisterProtocolHandler(MakeCallback(&rx), 0, d, false);
}

void mp_ns3cc_begin(uint32_t nodes, uint64_t seed)
{
    st = new State();
    RngSeedManager::SetSeed((uint32_t)(seed % 4294967295u) + 1);
    // MAC addresses from 00:00:00:00:00:01 in every run, however many the
    // process made before
    Mac48Address::ResetAllocationIndex();
    RngSeedManager::SetRun(1);
    st->nodes.Create(nodes);
}

bool mp_ns3cc_link(uint32_t link, uint32_t a, uint32_t b, uint64_t rate_a, uint64_t rate_b,
                   uint64_t delay, const char *queue_a, const char *queue_b, uint32_t mtu,
                   char *msg, uint32_t msg_len)
{
    if (a >= st->nodes.GetN() || b >= st->nodes.GetN()) {
        snprintf(msg, msg_len, "node out of range");
        return false;
    }
    Ptr<PointToPointChannel> ch = CreateObject<PointToPointChannel>();
    ch->SetAttribute("Delay", TimeValue(NanoSeconds((int64_t)delay)));
    const uint32_t nodes[2] = {a, b};
    const uint64_t rates[2] = {rate_a, rate_b};
    const char *queues[2] = {queue_a, queue_b};
    for (int e = 0; e < 2; e++) {
        Ptr<PointToPointNetDevice> d = CreateObject<PointToPointNetDevice>();
        d->SetAddress(Mac48Address::Allocate());
        d->SetDataRate(DataRate(rates[e]));
        if (!d->SetMtu((uint16_t)mtu)) {
            snprintf(msg, msg_len, "ns-3 refuses an MTU of %u", mtu);
            return false;
        }
        Ptr<Queue<Packet>> q = CreateObject<DropTailQueue<Packet>>();
        q->SetAttribute("MaxSize", QueueSizeValue(QueueSize(queues[e])));
        d->SetQueue(q);
        Ptr<Node> node = st->nodes.Get(nodes[e]);
        node->AddDevice(d);
        d->Attach(ch);
        add_end(link, e, d);
    }
    for (int e = 0; e < 2; e++)
        st->peer[e][link] = st->dev[!e][link]->GetBroadcast();
    return true;
}

bool mp_ns3cc_csma(uint32_t link, uint32_t a, uint32_t b, uint64_t rate, uint64_t delay,
                   const char *queue_a, const char *queue_b, uint32_t mtu, const char *pcap_a,
                   const char *pcap_b, char *msg, uint32_t msg_len)
{
    if (a >= st->nodes.GetN() || b >= st->nodes.GetN()) {
        snprintf(msg, msg_len, "node out of range");
        return false;
    }
    Ptr<CsmaChannel> ch = CreateObject<CsmaChannel>();
    ch->SetAttribute("DataRate", DataRateValue(DataRate(rate)));
    ch->SetAttribute("Delay", TimeValue(NanoSeconds((int64_t)delay)));
    const uint32_t nodes[2] = {a, b};
    const char *queues[2] = {queue_a, queue_b};
    const char *pcaps[2] = {pcap_a, pcap_b};
    Ptr<CsmaNetDevice> d[2];
    for (int e = 0; e < 2; e++) {
        d[e] = CreateObject<CsmaNetDevice>();
        d[e]->SetAddress(Mac48Address::Allocate());
        if (!d[e]->SetMtu((uint16_t)mtu)) {
            snprintf(msg, msg_len, "ns-3 refuses an MTU of %u on CSMA", mtu);
            return false;
        }
        Ptr<Queue<Packet>> q = CreateObject<DropTailQueue<Packet>>();
        q->SetAttribute("MaxSize", QueueSizeValue(QueueSize(queues[e])));
        d[e]->SetQueue(q);
        st->nodes.Get(nodes[e])->AddDevice(d[e]);
        d[e]->Attach(ch);
        add_end(link, e, d[e]);
    }
    for (int e = 0; e < 2; e++)
        st->peer[e][link] = d[!e]->GetAddress();
    CsmaHelper h;
    NetDeviceContainer both(d[0]);
    both.Add(d[1]);
    h.AssignStreams(both, stream_base(link)); // see mp_ns3cc_wifi
    for (int e = 0; e < 2; e++)
        if (pcaps[e])
            h.EnablePcap(pcaps[e], d[e], false, true);
    return true;
}

void mp_ns3cc_set_rate(uint32_t link, int end, uint64_t rate)
{
    Ptr<NetDevice> nd = st->dev[end][link];
    if (Ptr<PointToPointNetDevice> d = DynamicCast<PointToPointNetDevice>(nd))
        d->SetDataRate(DataRate(rate));
    else if (DynamicCast<CsmaNetDevice>(nd))
        nd->GetChannel()->SetAttribute("DataRate", DataRateValue(DataRate(rate)));
}

void mp_ns3cc_set_delay(uint32_t link, uint64_t delay)
{
    // a packet on the wire keeps the delay it left with; the next one
    // takes the new one
    Ptr<Channel> ch = st->dev[0][link]->GetChannel();
    ch->SetAttribute("Delay", TimeValue(NanoSeconds((int64_t)delay)));
}

void mp_ns3cc_pcap(uint32_t link, const char *path_a, const char *path_b)
{
    PointToPointHelper h;
    h.EnablePcap(path_a, st->dev[0][link], false, true);
    h.EnablePcap(path_b, st->dev[1][link], false, true);
}

bool mp_ns3cc_wifi(uint32_t link, uint32_t sta, uint32_t ap, const char *standard,
                   const char *manager, uint32_t distance_mm, uint32_t speed_mm_s, uint32_t mtu,
                   const char *pcap_sta, const char *pcap_ap, char *msg, uint32_t msg_len)
{
    if (sta >= st->nodes.GetN() || ap >= st->nodes.GetN()) {
        snprintf(msg, msg_len, "node out of range");
        return false;
    }
    Ptr<Node> ns = st->nodes.Get(sta), na = st->nodes.Get(ap);
    if (ns->GetObject<MobilityModel>() || na->GetObject<MobilityModel>()) {
        snprintf(msg, msg_len, "a node is on one Wi-Fi link at most");
        return false;
    }
    std::string std_s(standard), mgr(manager);
    WifiStandard ws = std_s == "80211a"   ? WIFI_STANDARD_80211a
                      : std_s == "80211g" ? WIFI_STANDARD_80211g
                      : std_s == "80211ac" ? WIFI_STANDARD_80211ac
                                          : WIFI_STANDARD_80211n;
    bool ht = ws == WIFI_STANDARD_80211n || ws == WIFI_STANDARD_80211ac;
    std::string manager_type = mgr == "ideal" ? "ns3::IdealWifiManager"
                               : mgr == "aarf" ? "ns3::AarfWifiManager"
                               : ht            ? "ns3::MinstrelHtWifiManager"
                                               : "ns3::MinstrelWifiManager";
    YansWifiChannelHelper channel = YansWifiChannelHelper::Default();
    YansWifiPhyHelper phy;
    phy.SetChannel(channel.Create());
    phy.SetPcapDataLinkType(WifiPhyHelper::DLT_IEEE802_11_RADIO);
    WifiHelper wifi;
    wifi.SetStandard(ws);
    wifi.SetRemoteStationManager(manager_type);
    WifiMacHelper mac;
    Ssid ssid = Ssid("afmp-" + std::to_string(link));
    mac.SetType("ns3::StaWifiMac", "Ssid", SsidValue(ssid));
    NetDeviceContainer ds = wifi.Install(phy, mac, ns);
    mac.SetType("ns3::ApWifiMac", "Ssid", SsidValue(ssid));
    NetDeviceContainer da = wifi.Install(phy, mac, na);
    // ns-3 numbers the random streams of objects as they are made, with a
    // counter that lives as long as the process: fixed streams per link
    // make a run the same whatever ran before it in this process
    int64_t used = wifi.AssignStreams(NetDeviceContainer(ds, da), stream_base(link));
    channel.AssignStreams(DynamicCast<YansWifiChannel>(ds.Get(0)->GetChannel()),
                          stream_base(link) + used);
    Ptr<ConstantPositionMobilityModel> pa = CreateObject<ConstantPositionMobilityModel>();
    pa->SetPosition(Vector(0, 0, 0));
    na->AggregateObject(pa);
    Ptr<ConstantVelocityMobilityModel> ps = CreateObject<ConstantVelocityMobilityModel>();
    ps->SetPosition(Vector(distance_mm / 1000.0, 0, 0));
    ps->SetVelocity(Vector(speed_mm_s / 1000.0, 0, 0));
    ns->AggregateObject(ps);
    Ptr<NetDevice> d[2] = {ds.Get(0), da.Get(0)};
    for (int e = 0; e < 2; e++) {
        if (!d[e]->SetMtu((uint16_t)mtu)) {
            snprintf(msg, msg_len, "ns-3 refuses an MTU of %u on Wi-Fi", mtu);
            return false;
        }
        add_end(link, e, d[e]);
    }
    for (int e = 0; e < 2; e++)
        st->peer[e][link] = d[!e]->GetAddress();
    if (pcap_sta)
        phy.EnablePcap(pcap_sta, d[0], false, true);
    if (pcap_ap)
        phy.EnablePcap(pcap_ap, d[1], false, true);
    return true;
}

bool mp_ns3cc_send(uint32_t link, int end, const uint8_t *data, uint32_t len)
{
    Ptr<NetDevice> d = st->dev[end][link];
    Ptr<Packet> p = Create<Packet>(data, len);
    uint16_t proto = len && (data[0] >> 4) == 6 ? 0x86DD : 0x0800;
    return d->Send(p, st->peer[end][link], proto);
}

bool mp_ns3cc_send_to(uint32_t link, int end, const uint8_t *data, uint32_t len, uint16_t proto,
                      const uint8_t dst[6])
{
    Ptr<NetDevice> d = st->dev[end][link];
    Ptr<Packet> p = Create<Packet>(data, len);
    Mac48Address to;
    to.CopyFrom(dst);
    return d->Send(p, to, proto);
}

void mp_ns3cc_mac(uint32_t link, int end, uint8_t out[6])
{
    Mac48Address::ConvertFrom(st->dev[end][link]->GetAddress()).CopyTo(out);
}

uint64_t mp_ns3cc_run(uint64_t stop)
{
    st->stop = stop;
    ensure();
    // events at |stop| itself still run: ns-3 stops just after
    Simulator::Stop(NanoSeconds((int64_t)(stop - now_ns() + 1)));
    Simulator::Run();
    return Simulator::GetEventCount();
}

void mp_ns3cc_wake(void)
{
    ensure();
}

void mp_ns3cc_end(void)
{
    Simulator::Destroy();
    delete st;
    st = nullptr;
}
}
