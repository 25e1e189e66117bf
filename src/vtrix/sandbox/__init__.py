"""The local sandbox gateway: both protocols, real media, fault injection."""
