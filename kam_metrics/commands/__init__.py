"""The command-line areas of SPEC §11 beyond the core commands, one module each (add_parsers, run)."""
