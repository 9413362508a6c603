"""StackStorm's own API, as a client: POST a search's rows to a StackStorm webhook."""
