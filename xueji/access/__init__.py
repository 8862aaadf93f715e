"""Identity and access, the same in the hub and every node (SPEC SEC-1…SEC-4, SEC-6, SYS-5):
accounts (event-sourced in the service's own store), passwords (argon2), sessions
(one per account, in memory), jurisdiction checks against the service's organisation tree.
"""
