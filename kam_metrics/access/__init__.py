"""Accounts, roles, sign-in sessions and the audit log (SPEC §10): who may see and do what, and the record of it."""
