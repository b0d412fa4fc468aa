"""``python -m netsafe`` runs the command line."""

from netsafe.cli import main

main()
