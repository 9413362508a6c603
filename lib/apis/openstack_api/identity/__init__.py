"""Keystone administration: name resolution, role grants, group membership, projects."""
