"""Sub-commands of the CLI by area, each a module with add_parsers(subparsers) and run(args, lang)."""
