// The dual-path TCP bulk scenario of bench-tcp-dual, on plain ns-3 with its
// own Internet stack and TCP: the reference afmp is compared with
// (bench-compare-ns3 runs both and prints the ratio).
//
//        +-- r1 --+        path 1: 10 ms per hop
//   A ---+        +--- B
//        +-- r2 --+        path 2: 30 ms per hop
//
// Every link 100 Mbit/s both ways; one BulkSend per path from A to B's
// address on that path (host routes keep each flow on its path), for 30 s
// of simulated time. Socket buffers of 4 MiB so that both paths can fill
// (afmp autotunes its buffers within Linux's tcp_rmem/tcp_wmem).
//
// Prints "name value unit" lines: wall time, simulated seconds, bytes each
// sink received, packet-hops (packets that crossed a link).
//
// Usage: bench-ns3-tcp-dual [SECONDS]
#include <ns3/applications-module.h>
#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace ns3;

static uint64_t hops;

static void count_hop(Ptr<const Packet>)
{
    hops++;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 30.0;
    Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
    Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));
    Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));

    NodeContainer n;
    n.Create(4); // A, r1, r2, B
    Ptr<Node> a = n.Get(0), r1 = n.Get(1), r2 = n.Get(2), b = n.Get(3);
    InternetStackHelper stack;
    stack.Install(n);

    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
    struct Hop {
        Ptr<Node> x, y;
        const char *delay, *net;
    } hl[4] = {{a, r1, "10ms", "10.0.1.0"},
               {r1, b, "10ms", "10.0.2.0"},
               {a, r2, "30ms", "10.0.3.0"},
               {r2, b, "30ms", "10.0.4.0"}};
    Ipv4AddressHelper ip;
    Ipv4InterfaceContainer ifs[4];
    for (int i = 0; i < 4; i++) {
        p2p.SetChannelAttribute("Delay", StringValue(hl[i].delay));
        NetDeviceContainer d = p2p.Install(hl[i].x, hl[i].y);
        d.Get(0)->TraceConnectWithoutContext("PhyTxEnd", MakeCallback(&count_hop));
        d.Get(1)->TraceConnectWithoutContext("PhyTxEnd", MakeCallback(&count_hop));
        ip.SetBase(hl[i].net, "255.255.255.0");
        ifs[i] = ip.Assign(d);
    }
    // Each flow keeps to its path: host routes on A and B, the routers
    // know both their subnets.
    Ipv4StaticRoutingHelper sr;
    Ptr<Ipv4StaticRouting> ra = sr.GetStaticRouting(a->GetObject<Ipv4>());
    ra->AddHostRouteTo(ifs[1].GetAddress(1), ifs[0].GetAddress(1), 1);
    ra->AddHostRouteTo(ifs[3].GetAddress(1), ifs[2].GetAddress(1), 2);
    Ptr<Ipv4StaticRouting> rb = sr.GetStaticRouting(b->GetObject<Ipv4>());
    rb->AddHostRouteTo(ifs[0].GetAddress(0), ifs[1].GetAddress(0), 1);
    rb->AddHostRouteTo(ifs[2].GetAddress(0), ifs[3].GetAddress(0), 2);

    ApplicationContainer sinks, senders;
    for (int p = 0; p < 2; p++) {
        Ipv4Address dst = ifs[p ? 3 : 1].GetAddress(1);
        uint16_t port = (uint16_t)(5001 + p);
        PacketSinkHelper sink("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), port));
        sinks.Add(sink.Install(b));
        BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(dst, port));
        bulk.SetAttribute("MaxBytes", UintegerValue(0));
        senders.Add(bulk.Install(a));
    }
    sinks.Start(Seconds(0));
    senders.Start(Seconds(0.1));
    senders.Stop(Seconds(0.1 + secs));
    Simulator::Stop(Seconds(0.1 + secs + 1));

    auto t0 = std::chrono::steady_clock::now();
    Simulator::Run();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("ns3.tcp-dual.wall %.2f s\n", wall);
    printf("ns3.tcp-dual.simulated %.0f s\n", secs);
    for (int p = 0; p < 2; p++)
        printf("ns3.tcp-dual.bytes.path%d %llu B\n", p + 1,
               (unsigned long long)DynamicCast<PacketSink>(sinks.Get(p))->GetTotalRx());
    printf("ns3.tcp-dual.hops %llu packets\n", (unsigned long long)hops);
    printf("ns3.tcp-dual.hops_per_s %.2f M/s\n", hops / wall / 1e6);
    Simulator::Destroy();
    return 0;
}
