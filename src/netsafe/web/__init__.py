"""The service over HTTP: the API and the web pages; they translate, the services decide."""
