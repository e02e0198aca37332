"""The servers dimos runs on this machine: its PostgreSQL cluster, its Mosquitto broker (and the broker's
accounts), backups with pg_dump/pg_restore. Processes and files, no SQL of dimos's schema."""
