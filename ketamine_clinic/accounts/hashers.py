"""The password hasher: Argon2id at OWASP's recommended parameters.

Django's own Argon2 parameters (100 MiB, 2 passes, 8 lanes) cost about 0.4 s of a core per
check on a small server. Every controlled-substance entry is signed by re-typing a password, so
20 nurses signing at once queued for ~10 s of CPU before the ledger was even reached (bench/
ledger_bench.py). OWASP's Password Storage Cheat Sheet recommends for Argon2id a minimum of
19 MiB of memory, 2 iterations and 1 degree of parallelism: that is what this hasher uses, about
a tenth of the cost. Existing hashes keep verifying and are re-hashed at the next sign-in.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idOwaspHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456  # KiB (19 MiB)
    parallelism = 1
