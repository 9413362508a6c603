"""OpenStack (keystone, nova, neutron, glance, placement) through openstacksdk."""
