from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        # Register every app's Celery tasks in every process (not only in workers), so a lower app
        # can start a higher app's task by name (`current_app.tasks[name]`) without importing it,
        # and CELERY_TASK_ALWAYS_EAGER runs it inline in tests.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
        from core.metrics import register_collectors

        register_collectors()  # the scrape-time gauges of settings.METRICS_COLLECTORS
        from core.admin_widgets import install

        install()  # the admin's date-and-time inputs each get a name
