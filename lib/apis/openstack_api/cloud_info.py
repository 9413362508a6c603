"""What a clouds.yaml cloud is: who we are on it and which services its catalog offers."""

from __future__ import annotations

from typing import Any, Dict


def cloud_info(conn: Any) -> Dict[str, Any]:
    """The identity and service catalog of a cloud, services sorted by type."""
    access = conn.session.auth.get_access(conn.session)
    services = [
        {
            "type": entry.get("type"),
            "name": entry.get("name"),
            "endpoints": sorted(
                (
                    {
                        "interface": endpoint.get("interface"),
                        "region": endpoint.get("region_id") or endpoint.get("region"),
                        "url": endpoint.get("url"),
                    }
                    for endpoint in entry.get("endpoints", [])
                ),
                key=lambda endpoint: (endpoint["interface"] or "", endpoint["url"] or ""),
            ),
        }
        for entry in access.service_catalog.catalog
    ]
    return {
        "cloud": conn.config.name,
        "auth_url": conn.config.get_auth_args().get("auth_url"),
        "region": conn.config.get_region_name() or None,
        "user": access.username,
        "project": access.project_name,
        "domain": access.project_domain_name,
        "services": sorted(services, key=lambda service: service["type"] or ""),
    }
