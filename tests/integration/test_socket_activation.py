"""Socket activation (systemd/accountd.socket + accountd.service): accountd
serves on a listening socket it inherits as fd 3 (LISTEN_PID, LISTEN_FDS),
as systemd passes it. The test plays systemd: it holds the socket at the
stack's path (nginx's upstream), group www-data, mode 0660, like the unit's
SocketGroup/SocketMode. accountd leaves that socket open and in place when it
stops, so a request that arrives while no accountd runs waits in the
socket's queue and the next accountd answers it.
"""
import grp
import os
import re
import signal
import socket
import subprocess
import threading

import pytest

import support as S


def queued(path):
    """Connections waiting in the listening socket's queue (ss's Recv-Q)."""
    out = subprocess.run(["ss", "-xlnH", "src", path], capture_output=True, text=True).stdout
    m = re.search(r"^\S+\s+\S+\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else -1


@pytest.fixture
def systemd_socket(dev, env):
    """(socket, start): the stack's accountd stopped, its socket held here;
    start() runs accountd as systemd would on it. Afterwards the stack's own
    accountd starts again."""
    path = env["ACCOUNTD_STATE"] + "/accountd.sock"
    dev("accountd-stop")
    procs = []
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    sock.bind(path)
    os.chown(path, -1, grp.getgrnam("www-data").gr_gid)
    os.chmod(path, 0o660)
    sock.listen(64)
    binary = os.path.join(os.path.dirname(env["ACCOUNTD_MAILER"]), "accountd")

    def start():
        fd = sock.fileno()
        with open(env["ACCOUNTD_LOG"], "ab") as log:
            # The socket as fd 3 (systemd's SD_LISTEN_FDS_START); sh's pid
            # is accountd's after exec.
            p = subprocess.Popen(
                ["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --config "$1"',
                 binary, env["ACCOUNTD_CONF"]],
                preexec_fn=lambda: os.dup2(fd, 3) if fd != 3 else os.set_inheritable(3, True),
                pass_fds=(3,),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    try:
        yield path, start
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(30)
        sock.close()
        if os.path.exists(path):
            os.unlink(path)
        dev("accountd-start")


def test_accountd_serves_on_the_socket_systemd_passes_and_leaves_it_open(systemd_socket, env, anon):
    path, start = systemd_socket
    before = open(env["ACCOUNTD_LOG"], errors="replace").read().count("the socket from systemd")
    first = start()
    r = S.wait_until(lambda: anon.get("/api/v1/health", timeout=10), timeout=20)
    S.expect(r, 200)
    log = open(env["ACCOUNTD_LOG"], errors="replace").read()
    assert log.count("the socket from systemd") == before + 1, "accountd did not take fd 3"

    first.send_signal(signal.SIGTERM)
    assert first.wait(20) == 0
    assert os.path.exists(path), "accountd removed the socket systemd owns"

    # No accountd runs: a request waits in the socket's queue (nginx got its
    # connection), and the next accountd answers it.
    answer = {}
    waiting = threading.Thread(target=lambda: answer.update(r=anon.get("/api/v1/health", timeout=60)))
    waiting.start()
    assert S.wait_until(lambda: queued(path) >= 1, timeout=10) >= 1, "the request never queued"
    assert "r" not in answer
    second = start()
    waiting.join(60)
    S.expect(answer["r"], 200)
    second.send_signal(signal.SIGTERM)
    assert second.wait(20) == 0
