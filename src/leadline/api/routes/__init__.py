"""HTTP routers, one module per area; :mod:`leadline.api.app` mounts them all."""
