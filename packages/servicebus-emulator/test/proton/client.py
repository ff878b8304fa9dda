"""An independent AMQP 1.0 client (Qpid Proton) driving the emulator: one scenario per run.

Usage: client.py SCENARIO PORT ADDRESS. Prints one JSON object: what the client saw, with the
AMQP type of every value it decoded, for the vitest side to judge.
"""
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
import uuid

from proton import Array, Data, Delivery, Message, symbol, timestamp, int32, ulong, Disposition
from proton.utils import BlockingConnection

SCENARIO, PORT, ADDRESS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
URL = f"amqp://127.0.0.1:{PORT}"
# How long to wait for what the emulator already has to send: generous, so a loaded machine is not
# mistaken for a broker that never answers (a correct answer ends the wait at once).
WAIT = 20


def typed(value):
    """A JSON-able picture of a decoded value that keeps its AMQP type."""
    if isinstance(value, dict):
        return {"type": "map", "value": {str(k): typed(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"type": "list", "value": [typed(v) for v in value]}
    if isinstance(value, Array):
        return {"type": "array", "value": [typed(v) for v in value.elements]}
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, uuid.UUID):
        return {"type": "uuid", "value": str(value)}
    if isinstance(value, (bytes, memoryview)):
        return {"type": "binary", "value": bytes(value).hex()}
    name = type(value).__name__
    if isinstance(value, (int, float)):
        # proton decodes AMQP int as int32, uint as uint, long as plain int, timestamp as timestamp.
        return {"type": {"int": "long"}.get(name, name), "value": int(value) if name != "float" else value}
    if isinstance(value, str):
        return {"type": "symbol" if name == "symbol" else "string", "value": str(value)}
    if value is None:
        return {"type": "null", "value": None}
    return {"type": name, "value": str(value)}


def picture(message):
    return {
        "id": None if message.id is None else str(message.id),
        "inferred": message.inferred,
        "body": typed(message.body),
        "properties": typed(message.properties or {}),
        "annotations": typed(message.annotations or {}),
        "subject": message.subject,
    }


def connect(**kwargs):
    return BlockingConnection(URL, timeout=WAIT, **kwargs)


def lock_token(message):
    """The lock token as Service Bus stamps it (the delivery tag holds it too, in .NET byte order)."""
    return message.annotations[symbol("x-opt-lock-token")]


def typed_properties():
    return {
        "i32": int32(-7),
        "i32pos": int32(42),
        "u": uuid.UUID("6f1e3c5a-0b7d-4c1e-9a2b-3c4d5e6f7a8b"),
        "ts": timestamp(1700000000123),
        "l": ulong(2**40),
        "s": "text",
        "b": True,
    }


def bodies(conn):
    """Sends a message of every body type; receives them back as the client encoded them."""
    sender = conn.create_sender(ADDRESS)
    sent = [
        Message(body=b"\x00\x01raw", inferred=True, properties=typed_properties(),
                annotations={symbol("x-opt-custom"): int32(5)}),
        Message(body={"k": int32(1), "u": uuid.UUID(int=7), "t": timestamp(1234)}, properties={"n": int32(3)}),
        Message(body=["a", int32(2), None], inferred=True, id="seq-1"),
        Message(body=b"as-value", inferred=False, id="bin-value"),
    ]
    for m in sent:
        sender.send(m)
    receiver = conn.create_receiver(ADDRESS, credit=10)
    out = []
    for _ in sent:
        out.append(picture(receiver.receive(timeout=WAIT)))
        receiver.accept()
    return {"received": out}


def settle(conn):
    """Four messages, settled accepted / released / modified (undeliverable) / rejected."""
    sender = conn.create_sender(ADDRESS)
    for i in range(4):
        sender.send(Message(body=f"m{i}", id=f"settle-{i}"))
    receiver = conn.create_receiver(ADDRESS, credit=4)
    seen = []
    for i in range(4):
        msg = receiver.receive(timeout=WAIT)
        seen.append(msg.body)
        delivery = receiver.fetcher.unsettled.popleft()
        if i == 0:
            delivery.update(Delivery.ACCEPTED)
        elif i == 1:
            delivery.update(Delivery.RELEASED)
        elif i == 2:
            delivery.local.undeliverable = True
            delivery.update(Delivery.MODIFIED)
        else:
            delivery.local.condition = None
            delivery.update(Delivery.REJECTED)
        delivery.settle()
    # A round trip so the emulator has handled every disposition before we report.
    conn.create_sender(ADDRESS, name="fence").send(Message(body="fence", id="fence"))
    return {"seen": seen}


class Node:
    """Request/response over a node ($management or $cbs) the way the SDKs do it."""

    def __init__(self, conn, address, reply_link_name, reply_to=True):
        self.sender = conn.create_sender(address, name=f"{reply_link_name}-sender")
        self.receiver = conn.create_receiver(address, credit=10, name=reply_link_name)
        self.reply_to = reply_link_name if reply_to else None
        self.n = 0

    def call(self, properties, body):
        self.n += 1
        request = Message(id=f"req-{self.n}", properties=properties, body=body)
        if self.reply_to:
            request.reply_to = self.reply_to
        self.sender.send(request)
        reply = self.receiver.receive(timeout=WAIT)
        self.receiver.accept()
        return reply


def management(conn):
    node = Node(conn, f"{ADDRESS}/$management", "mgmt-reply")
    out = {}
    later = timestamp(int(time.time() * 1000) + 3_600_000)
    encoded = Message(id="scheduled-1", body="later",
                      annotations={symbol("x-opt-scheduled-enqueue-time"): later}).encode()
    reply = node.call(
        {"operation": "com.microsoft:schedule-message"},
        {"messages": [{"message": encoded, "message-id": "scheduled-1"}]},
    )
    out["schedule"] = {"properties": typed(reply.properties), "body": typed(reply.body)}
    # A message to peek, renew and defer.
    conn.create_sender(ADDRESS, name="now").send(Message(id="now-1", body="now", properties={"i": int32(9)}))
    reply = node.call(
        {"operation": "com.microsoft:peek-message"},
        {"from-sequence-number": 0, "message-count": int32(10)},
    )
    peeked = []
    for entry in (reply.body or {}).get("messages", []):
        m = Message()
        m.decode(entry["message"])
        peeked.append(picture(m))
    out["peek"] = {"properties": typed(reply.properties), "messages": peeked}
    receiver = conn.create_receiver(ADDRESS, credit=1)
    token = lock_token(receiver.receive(timeout=WAIT))
    tokens = Array(Data.NULL, Data.UUID, token)
    reply = node.call({"operation": "com.microsoft:renew-lock"}, {"lock-tokens": tokens})
    out["renew"] = {"properties": typed(reply.properties), "body": typed(reply.body)}
    reply = node.call(
        {"operation": "com.microsoft:update-disposition"},
        {"lock-tokens": tokens, "disposition-status": "defered",
         "properties-to-modify": {"stage": int32(2), "ref": uuid.UUID(int=9)}},
    )
    out["defer"] = {"properties": typed(reply.properties)}
    reply = node.call({"operation": "com.microsoft:peek-message"},
                      {"from-sequence-number": 0, "message-count": int32(10)})
    out["deferredSeq"] = None
    for entry in (reply.body or {}).get("messages", []):
        m = Message()
        m.decode(entry["message"])
        if m.id == "now-1":
            out["deferredSeq"] = m.annotations["x-opt-sequence-number"]
            out["deferredState"] = m.annotations["x-opt-message-state"]
    reply = node.call(
        {"operation": "com.microsoft:receive-by-sequence-number"},
        {"sequence-numbers": Array(Data.NULL, Data.LONG, out["deferredSeq"]), "receiver-settle-mode": 0},
    )
    deferred = (reply.body or {}).get("messages", [])
    out["receiveDeferred"] = {"properties": typed(reply.properties), "count": len(deferred)}
    if deferred:
        m = Message()
        m.decode(deferred[0]["message"])
        out["deferredProperties"] = typed(m.properties or {})
    reply = node.call({"operation": "com.microsoft:no-such-thing"}, {})
    out["unknown"] = {"properties": typed(reply.properties)}
    return out


def sas_token(audience, key="SAS_KEY_VALUE", key_name="RootManageSharedAccessKey"):
    """A shared access signature as every Service Bus SDK makes one."""
    sr = urllib.parse.quote(audience, safe="")
    se = str(int(time.time()) + 3600)
    digest = hmac.new(key.encode(), f"{sr}\n{se}".encode(), hashlib.sha256).digest()
    sig = urllib.parse.quote(base64.b64encode(digest).decode(), safe="")
    return f"SharedAccessSignature sr={sr}&sig={sig}&se={se}&skn={key_name}"


def cbs(conn):
    out = {}
    audience = f"amqp://127.0.0.1/{ADDRESS}"
    put = {"operation": "put-token", "type": "servicebus.windows.net:sastoken", "name": audience}
    with_reply = Node(conn, "$cbs", "cbs-with")
    out["withReplyTo"] = typed(with_reply.call(put, sas_token(audience)).properties)
    out["wrongKey"] = typed(with_reply.call(put, sas_token(audience, key="wrong")).properties)
    without = Node(conn, "$cbs", "cbs-without", reply_to=False)
    reply = without.call(put, sas_token(audience))
    out["withoutReplyTo"] = typed(reply.properties)
    out["correlation"] = None if reply.correlation_id is None else str(reply.correlation_id)
    return out


def large(conn):
    """A 200 KiB message both ways, across frames of at most the sizes each side advertised."""
    sender = conn.create_sender(ADDRESS)
    payload = bytes(range(256)) * 800
    sender.send(Message(body=payload, inferred=True, id="large-1"))
    receiver = conn.create_receiver(ADDRESS, credit=1)
    m = receiver.receive(timeout=WAIT)
    receiver.accept()
    transport = conn.conn.transport
    return {
        "sameBody": bytes(m.body) == payload,
        "length": len(m.body),
        "remoteMaxFrameSize": transport.remote_max_frame_size,
        "localMaxFrameSize": transport.max_frame_size,
    }


def shared_name(conn):
    """One link name for a sender and a receiver on one connection (a common client default)."""
    sender = conn.create_sender(ADDRESS, name="shared-link")
    receiver = conn.create_receiver(ADDRESS, credit=1, name="shared-link")
    sender.send(Message(body="via shared name", id="shared-1"))
    m = receiver.receive(timeout=WAIT)
    receiver.accept()
    return {"body": m.body}


SCENARIOS = {"bodies": bodies, "settle": settle, "management": management, "cbs": cbs,
             "large": large, "shared-name": shared_name}

if __name__ == "__main__":
    mechs = sys.argv[4] if len(sys.argv) > 4 else "ANONYMOUS"
    kwargs = {"allowed_mechs": mechs}
    if mechs == "PLAIN":
        kwargs.update(user="RootManageSharedAccessKey", password="SAS_KEY_VALUE")
    if SCENARIO == "large":
        # Proton refuses frames larger than it advertised: the emulator must split its transfers.
        kwargs.update(max_frame_size=16384)
    connection = connect(**kwargs)
    try:
        result = SCENARIOS[SCENARIO](connection)
        result["sasl"] = mechs
    finally:
        connection.close()
    print(json.dumps(result))
