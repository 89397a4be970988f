"""What kafkatask's two web applications, the dashboard and the gateway, share.

- hosts.py: loopback addresses, and the Host-header check that keeps a service without
  credentials out of reach of DNS rebinding;
- credentials.py: reading an Authorization header (bearer or basic) and comparing secrets in
  constant time;
- security_headers.py: response headers that keep a browser from running or framing what a
  page was not meant to.
"""
