"""Shopping carts that expire an hour after their last change, tested without waiting an hour.

`ttl=` slides with every write; `Session.cleanup(store)` deletes the expired ones (a nightly
job). The test clock from `powertools.session.testing` stands in for the wall clock.
"""

from powertools.session import Session
from powertools.session.testing import FakeClock, memory_store

clock, store = FakeClock(), memory_store("carts")
HOUR = 3600

Session("cart-ada", store=store, ttl=HOUR, clock=clock).set("items", ["tea"])
Session("cart-bob", store=store, ttl=HOUR, clock=clock).set("items", ["milk"])

clock.advance(50 * 60)
Session("cart-bob", store=store, ttl=HOUR, clock=clock).append("items", "honey")  # bob is back

clock.advance(20 * 60)  # ada idle for 70 minutes, bob for 20
assert Session("cart-ada", store=store, ttl=HOUR, clock=clock).get_all() == {}
removed = Session.cleanup(store, clock=clock)
assert removed == ["cart-ada"], removed
items = Session("cart-bob", store=store, ttl=HOUR, clock=clock).get("items")
assert items == ["milk", "honey"]
print("expired:", removed, "kept: cart-bob", items)
