"""The shared test harness: what more than one folder of tests needs.

* `factories` — accounts, staff users and API clients (factory_boy).
* `orders` — the order builder: line bodies with the VAT the product computes, orders made
  through the services with traits (`authorized`, `captured`, `refunded`, `reversed`), updates
  and recorded operations.
* `api` — the Shopping API test client, tokens, requests made over HTTP, the error-body check and
  the "nothing written" snapshot.
* `threads` — run requests in threads released together (concurrency tests on PostgreSQL).
* `browser` — Playwright driving Chromium against the live server (fixtures and helpers).
* `admin_forms` — read an admin page's form the way a browser submits it.
* `flush` — a transactional test's flush on PostgreSQL deletes rows instead of truncating.
* `once` — `@shared` fixtures, built once for the tests that ask for the same ones and rolled
  back after them (the big parametrized modules).
"""
