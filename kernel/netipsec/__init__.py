"""netipsec: the IPsec data path, FAST_IPSEC style (sys/netipsec)."""
