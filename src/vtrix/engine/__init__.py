"""The engine every front end stands on: the session, the one route to a request (prepare), the
plans of submitting, waiting and looking up (with the money rules), and what a task's state
becomes for the caller."""
