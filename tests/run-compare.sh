# Sourced by check-routes.sh and check-ns3.sh: what differs between the
# output folders of two runs of one scenario. pcap-diff.py is looked for
# beside the script that sources this (sh cannot name a sourced file).

_pcap_diff="$(dirname "$0")/pcap-diff.py"

# run_diffs A B: the captures of A that B does not hold byte for byte, and
# results.json if the two differ; space-separated, empty when none.
run_diffs() {
    _bad=""
    for _p in "$1"/*.pcap; do
        [ -e "$_p" ] || continue # a scenario without captures
        _f=$(basename "$_p")
        cmp -s "$_p" "$2/$_f" || _bad="$_bad $_f"
    done
    cmp -s "$1/results.json" "$2/results.json" || _bad="$_bad results.json"
    echo "$_bad"
}

# explain_diffs A B NAMES: the first lines of pcap-diff.py's account of each
# capture among NAMES, as TAP comments.
explain_diffs() {
    for _f in $3; do
        case $_f in *.pcap) python3 "$_pcap_diff" "$1/$_f" "$2/$_f" 2>&1 | head -4 | sed 's/^/# /' ;; esac
    done
}
