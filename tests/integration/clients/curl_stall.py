# A TCP listener that accepts and never answers, so that a client connected
# to it stays blocked (clients_curl reads the blocked curl's /proc). Prints
# its port, then runs until killed.
import socket
import sys

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
