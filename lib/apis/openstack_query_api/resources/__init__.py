"""One module per query type: its properties, server-side filters, listing and links."""
