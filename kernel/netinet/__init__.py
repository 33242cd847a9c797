"""netinet: IPv4 as far as the mission needs it (sys/netinet): ip, arp, icmp, udp, raw."""
