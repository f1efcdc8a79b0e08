"""`scan --history` and `scan --staged`: run (the entry), blobs (each distinct blob once), stream (`git log -p`),
gitdiff (hardened git calls and diff parsing)."""
