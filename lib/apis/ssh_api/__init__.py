"""Run allow-listed scripts on hypervisors over SSH (paramiko)."""
