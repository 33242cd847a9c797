"""netkey: PF_KEY v2 (RFC 2367) and the SAD/SPD, as KAME built them (sys/netkey)."""
