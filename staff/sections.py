"""The registry of sections on an event's admin page ("At the door").

An app that adds to an event's page registers a function of the event that returns
HTML, under the heading it is shown with:

    from staff.sections import event_page_sections
    event_page_sections["check-ins"] = checkins_section

tickets/admin.py registers its check-ins this way, so staff imports no app that adds
a section. Sections are shown in the order they were registered."""

event_page_sections = {}
