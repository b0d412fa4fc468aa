"""Remove my image: a young person's request, hashed on their own device; only the hashes reach the server."""
