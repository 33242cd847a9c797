"""netinet6: the KAME IPv6 stack (sys/netinet6)."""
