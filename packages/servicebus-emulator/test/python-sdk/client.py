"""Microsoft's Python SDK (azure-servicebus on uamqp, Debian's python3-azure) against the emulator.

Usage: client.py CONNECTION_STRING CERT_PATH ADMIN_CONNECTION_STRING. Runs every check in order,
unpatched, and prints one JSON line per check: {"check": name, "ok": true} or the error it raised.
A crash of the client (uamqp's SIGSEGV) shows as a missing line and a signal exit.
"""
import base64
import datetime
import hashlib
import hmac
import json
import sys
import time
import traceback
import urllib.parse

from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusSubQueue
from azure.servicebus.management import ServiceBusAdministrationClient, SqlRuleFilter

CONN, CERT, ADMIN_CONN = sys.argv[1], sys.argv[2], sys.argv[3]
ENDPOINT = CONN.split("Endpoint=")[1].split(";")[0]  # sb://host:port
QUEUE, SESSIONS, TOPIC = "pyq", "pysessions", "pyt"
WAIT = 10


def client(conn=CONN):
    return ServiceBusClient.from_connection_string(
        conn, connection_verify=CERT, retry_total=0
    )


def check(name, fn):
    try:
        fn()
        print(json.dumps({"check": name, "ok": True}), flush=True)
    except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
        print(json.dumps({"check": name, "ok": False, "error": f"{type(error).__name__}: {error}",
                          "trace": traceback.format_exc()[-600:]}), flush=True)


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def receive_one(receiver):
    messages = receiver.receive_messages(max_message_count=1, max_wait_time=WAIT)
    expect(len(messages) == 1, f"expected one message, got {len(messages)}")
    return messages[0]


def admin():
    with ServiceBusAdministrationClient.from_connection_string(ADMIN_CONN, connection_verify=CERT) as a:
        a.create_queue(QUEUE, lock_duration=datetime.timedelta(seconds=30))
        a.create_queue(SESSIONS, requires_session=True)
        a.create_topic(TOPIC, default_message_time_to_live=datetime.timedelta(hours=1))
        a.create_subscription(TOPIC, "red")
        a.delete_rule(TOPIC, "red", "$Default")
        a.create_rule(TOPIC, "red", "only-red", filter=SqlRuleFilter("color = 'red'"))
        a.create_subscription(TOPIC, "all")
        expect(a.get_queue(QUEUE).name == QUEUE, "get_queue")
        expect(a.get_topic(TOPIC).default_message_time_to_live == datetime.timedelta(hours=1), "topic ttl")
        names = [r.name for r in a.list_rules(TOPIC, "red")]
        expect(names == ["only-red"], f"rules {names}")


def send_receive_complete():
    with client() as c:
        c.get_queue_sender(QUEUE).send_messages(ServiceBusMessage("hello", application_properties={"n": 1}))
        with c.get_queue_receiver(QUEUE) as r:
            m = receive_one(r)
            expect(str(m) == "hello", f"body {m}")
            expect(m.application_properties[b"n"] == 1, f"properties {m.application_properties}")
            r.complete_message(m)
            expect(r.receive_messages(max_message_count=1, max_wait_time=1) == [], "completed is gone")


def abandon():
    with client() as c:
        c.get_queue_sender(QUEUE).send_messages(ServiceBusMessage("again"))
        with c.get_queue_receiver(QUEUE) as r:
            m = receive_one(r)
            r.abandon_message(m)
            m2 = receive_one(r)
            expect(str(m2) == "again" and m2.delivery_count == 1, f"redelivered {m2.delivery_count}")
            r.complete_message(m2)


def dead_letter():
    with client() as c:
        c.get_queue_sender(QUEUE).send_messages(ServiceBusMessage("poison"))
        with c.get_queue_receiver(QUEUE) as r:
            r.dead_letter_message(receive_one(r), reason="bad", error_description="very bad")
        with c.get_queue_receiver(QUEUE, sub_queue=ServiceBusSubQueue.DEAD_LETTER) as d:
            m = receive_one(d)
            expect(str(m) == "poison" and m.dead_letter_reason == "bad", f"dead letter {m.dead_letter_reason}")
            d.complete_message(m)


def defer():
    with client() as c:
        c.get_queue_sender(QUEUE).send_messages(ServiceBusMessage("later"))
        with c.get_queue_receiver(QUEUE) as r:
            m = receive_one(r)
            r.defer_message(m)
            [back] = r.receive_deferred_messages([m.sequence_number])
            expect(str(back) == "later", "deferred body")
            r.complete_message(back)


def peek_and_renew():
    with client() as c:
        c.get_queue_sender(QUEUE).send_messages([ServiceBusMessage("p1"), ServiceBusMessage("p2")])
        with c.get_queue_receiver(QUEUE) as r:
            peeked = r.peek_messages(max_message_count=5)
            expect([str(p) for p in peeked] == ["p1", "p2"], f"peeked {[str(p) for p in peeked]}")
            m = receive_one(r)
            before = m.locked_until_utc
            time.sleep(1)
            r.renew_message_lock(m)
            expect(m.locked_until_utc > before, "lock renewed")
            r.complete_message(m)
            r.complete_message(receive_one(r))


def schedule_cancel():
    with client() as c:
        sender = c.get_queue_sender(QUEUE)
        at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        seqs = sender.schedule_messages([ServiceBusMessage("s1"), ServiceBusMessage("s2")], at)
        expect(len(seqs) == 2, f"sequence numbers {seqs}")
        with c.get_queue_receiver(QUEUE) as r:
            expect(len(r.peek_messages(max_message_count=10)) == 2, "scheduled are peekable")
            sender.cancel_scheduled_messages(seqs)
            expect(r.peek_messages(max_message_count=10) == [], "cancelled are gone")


def sessions():
    with client() as c:
        c.get_queue_sender(SESSIONS).send_messages(ServiceBusMessage("in s1", session_id="s1"))
        with c.get_queue_receiver(SESSIONS, session_id="s1") as r:
            r.session.set_state("step 2")
            expect(r.session.get_state() == b"step 2", "session state")
            r.session.renew_lock()
            m = receive_one(r)
            expect(m.session_id == "s1", "session id")
            r.complete_message(m)


def topic_rules():
    with client() as c:
        sender = c.get_topic_sender(TOPIC)
        sender.send_messages(ServiceBusMessage("blue", application_properties={"color": "blue"}))
        sender.send_messages(ServiceBusMessage("red", application_properties={"color": "red"}))
        with c.get_subscription_receiver(TOPIC, "red") as r:
            m = receive_one(r)
            expect(str(m) == "red", f"red subscription got {m}")
            r.complete_message(m)
            expect(r.receive_messages(max_message_count=1, max_wait_time=1) == [], "blue filtered out")
        with c.get_subscription_receiver(TOPIC, "all") as r:
            got = sorted(str(m) for m in r.receive_messages(max_message_count=2, max_wait_time=WAIT))
            expect(got == ["blue", "red"], f"all subscription got {got}")


def refused(conn, expected="ServiceBusAuthenticationError"):
    def run():
        for attempt in range(2):  # the second refusal used to crash uamqp
            try:
                with client(conn) as c:
                    c.get_queue_sender(QUEUE).send_messages(ServiceBusMessage("no"))
            except Exception as error:  # noqa: BLE001
                expect(type(error).__name__ == expected, f"{type(error).__name__}: {error}")
                continue
            raise AssertionError(f"attempt {attempt + 1} was accepted")
    return run


def token(audience, expiry, key="SAS_KEY_VALUE"):
    sr = urllib.parse.quote(audience, safe="")
    sig = base64.b64encode(hmac.new(key.encode(), f"{sr}\n{expiry}".encode(), hashlib.sha256).digest())
    return (f"SharedAccessSignature sr={sr}&sig={urllib.parse.quote(sig, safe='')}"
            f"&se={expiry}&skn=RootManageSharedAccessKey")


def sas(tok):
    return f"Endpoint={ENDPOINT}/;SharedAccessSignature={tok}"


check("admin client: queues, topic, subscriptions, rules", admin)
check("send, receive, complete", send_receive_complete)
check("abandon", abandon)
check("dead-letter", dead_letter)
check("defer", defer)
check("peek and renew lock", peek_and_renew)
check("schedule and cancel", schedule_cancel)
check("sessions with state", sessions)
check("topic with rules", topic_rules)
check("wrong key refused twice", refused(CONN.replace("SharedAccessKey=SAS_KEY_VALUE", "SharedAccessKey=wrong")))
check("expired token refused", refused(sas(token(f"{ENDPOINT}/{QUEUE}", int(time.time()) - 60))))
check("token for another entity refused", refused(sas(token(f"{ENDPOINT}/otherq", int(time.time()) + 3600))))
check("namespace token accepted", lambda: client(sas(token(f"{ENDPOINT}/", int(time.time()) + 3600)))
      .get_queue_sender(QUEUE).send_messages(ServiceBusMessage("ns")))
