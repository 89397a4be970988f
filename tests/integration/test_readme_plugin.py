def test_add(kafkatask_app, kafkatask_worker):
    add = kafkatask_app.task(lambda x, y: x + y, name="add")
    kafkatask_worker(kafkatask_app)
    assert add.delay(2, 3).get(timeout=30) == 5
