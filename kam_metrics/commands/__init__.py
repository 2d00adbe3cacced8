"""Sub-commands of the command line by area (SPEC §11): each module has add_parsers(subparsers) and run(args, lang)."""
