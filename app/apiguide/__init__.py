"""``/api``: the JSON API's getting-started page (the reference itself is ``/docs``)."""
