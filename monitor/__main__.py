"""`python -m monitor` is the `dozor` command."""

from monitor.cli import main

main()
