def test_every_response_says_how_long_the_app_took(client, db):
    response = client.get("/login/")
    name, duration = response["Server-Timing"].split(";dur=")
    assert name == "app"
    assert 0 <= float(duration) < 10_000
