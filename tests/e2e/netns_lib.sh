# Two "hosts" in network namespaces, each with a management NIC `eth0`
# (carrying the default route) and a data NIC `ens1f0`, joined by two veth
# pairs. Only this machine's own namespaces are ever addressed.
#   host A: eth0 10.77.0.1/24 (default via 10.77.0.2), ens1f0 10.88.0.1/24
#   host B: eth0 10.77.0.2/24 (default via 10.77.0.1), ens1f0 10.88.0.2/24
NS_A=fgA$$ NS_B=fgB$$
netns_setup() {
    is_root || return 1
    ip netns add "$NS_A" && ip netns add "$NS_B" || return 1
    ip link add fgm$$a type veth peer name fgm$$b || return 1
    ip link add fgd$$a type veth peer name fgd$$b || return 1
    ip link set fgm$$a netns "$NS_A"; ip link set fgm$$b netns "$NS_B"
    ip link set fgd$$a netns "$NS_A"; ip link set fgd$$b netns "$NS_B"
    local ns i peer
    for ns in A B; do
        eval "n=\$NS_$ns"; i=$([ $ns = A ] && echo 1 || echo 2); peer=$((3 - i))
        ip -n "$n" link set fgm$$$(echo $ns | tr AB ab) name eth0
        ip -n "$n" link set fgd$$$(echo $ns | tr AB ab) name ens1f0
        ip -n "$n" addr add 10.77.0.$i/24 dev eth0
        ip -n "$n" addr add 10.88.0.$i/24 dev ens1f0
        ip -n "$n" link set lo up; ip -n "$n" link set eth0 up; ip -n "$n" link set ens1f0 up
        ip -n "$n" route add default via 10.77.0.$peer dev eth0
    done
    NETNS_CLEANUP=1
}
netns_cleanup() {
    [ -n "${NETNS_CLEANUP:-}" ] || return 0
    ip netns del "$NS_A" 2>/dev/null; ip netns del "$NS_B" 2>/dev/null
}
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }
