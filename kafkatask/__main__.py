"""`python -m kafkatask` is the `kafkatask` command."""

from kafkatask.cli import main

main()
