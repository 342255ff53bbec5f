"""The bench harness that ``bench/load.py`` runs: configuration, /proc readings, the servers,
one wrk run, the workloads and the report (see bench/README.md)."""
