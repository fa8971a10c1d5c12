"""A TCP proxy in front of slapd for the fault tests (test_faults.py).

It passes LDAP messages through unchanged, and on demand
- holds the next request of one kind (an add, a modify, the password
  operation) before slapd sees it, so a test can stop, freeze or kill a
  server (or accountd) at exactly that step, then release it (slapd gets
  it, as a request already on the wire would) or drop it;
- loses the next response of one kind: slapd has made the change, the
  reply never reaches accountd, and the connection dies (a network that
  fails at the worst moment).

Messages are split with just enough BER to find each LDAPMessage's
protocolOp tag (RFC 4511 section 4.1.1).
"""
import selectors
import socket
import threading

MODIFY_REQUEST, MODIFY_RESPONSE = 0x66, 0x67
ADD_REQUEST, ADD_RESPONSE = 0x68, 0x69
EXTENDED_REQUEST, EXTENDED_RESPONSE = 0x77, 0x78


def split_message(buf):
    """(message bytes, protocolOp tag) of the first whole LDAPMessage in
    buf, or None if buf does not hold one yet."""
    if len(buf) < 2:
        return None
    first = buf[1]
    if first < 0x80:
        length, header = first, 2
    else:
        n = first & 0x7F
        if len(buf) < 2 + n:
            return None
        length, header = int.from_bytes(buf[2:2 + n], "big"), 2 + n
    total = header + length
    if len(buf) < total:
        return None
    pos = header
    pos += 2 + buf[pos + 1]  # messageID: INTEGER, short length
    return bytes(buf[:total]), buf[pos]


class Hold:
    """The next request with `tag` on any connection is kept from slapd
    (and everything after it on that connection) until release() or
    drop(). `held` is set once it is being held."""

    def __init__(self, tag, containing=None):
        self.tag = tag
        self.containing = containing  # bytes the request must hold, or None
        self.held = threading.Event()
        self.decided = threading.Event()
        self.forward = True

    def release(self):
        self.forward = True
        self.decided.set()

    def drop(self):
        """The request never reaches slapd; the connection is cut."""
        self.forward = False
        self.decided.set()


class Loss:
    """The next response with `tag` is swallowed and its connection cut."""

    def __init__(self, tag):
        self.tag = tag
        self.lost = threading.Event()


class LdapProxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.holds = []
        self.losses = []
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self):
        return f"ldap://127.0.0.1:{self.port}/"

    def hold_next(self, tag, containing=None):
        """Holds the next request with tag (and, if given, the bytes
        `containing` in it, e.g. a group's DN)."""
        h = Hold(tag, containing)
        with self.lock:
            self.holds.append(h)
        return h

    def lose_next_response(self, tag):
        loss = Loss(tag)
        with self.lock:
            self.losses.append(loss)
        return loss

    def clear(self):
        with self.lock:
            holds, self.holds, self.losses = self.holds, [], []
        for h in holds:
            h.release()

    def close(self):
        self.closing = True
        self.clear()
        try:
            self.listener.close()
        except OSError:
            pass

    def _take(self, rules, tag, msg=b""):
        with self.lock:
            for r in rules:
                containing = getattr(r, "containing", None)
                if r.tag == tag and (containing is None or containing in msg):
                    rules.remove(r)
                    return r
        return None

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        up, down = bytearray(), bytearray()
        # epoll, not select(): the test process may hold more than 1024
        # descriptors by the time it gets here.
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ)
        sel.register(server, selectors.EVENT_READ)
        try:
            while True:
                readable = [key.fileobj for key, _ in sel.select(0.5)]
                if self.closing:
                    return
                if client in readable:
                    data = client.recv(65536)
                    if not data:
                        return
                    up += data
                    while (m := split_message(up)) is not None:
                        msg, tag = m
                        del up[:len(msg)]
                        hold = self._take(self.holds, tag, msg)
                        if hold is not None:
                            hold.held.set()
                            hold.decided.wait(120)
                            if not hold.forward:
                                return
                        server.sendall(msg)
                if server in readable:
                    data = server.recv(65536)
                    if not data:
                        return
                    down += data
                    while (m := split_message(down)) is not None:
                        msg, tag = m
                        del down[:len(msg)]
                        loss = self._take(self.losses, tag)
                        if loss is not None:
                            loss.lost.set()
                            return
                        client.sendall(msg)
        except OSError:
            return
        finally:
            sel.close()
            for s in (client, server):
                try:
                    s.close()
                except OSError:
                    pass
