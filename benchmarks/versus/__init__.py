"""kafkatask next to Celery + Redis, scenario by scenario (run by benchmarks/versus_celery.py).

The pieces, each in a module of its own:
- bodies: the task functions both systems run, imported by both apps;
- kafkatask_app, celery_app: the two apps (Celery's only in the virtualenv celery_venv makes);
- kafkatask_client, celery_client: one small client interface over each;
- scenarios: what each scenario does, written once against that interface;
- drive: one scenario for one system, in a process of its own with its own workers;
- usage: CPU seconds and resident memory of the processes involved, read from /proc;
- schedule: the log-normal task durations and the FIFO schedule they are compared with;
- sizes: how many tasks each scenario sends, in a full run and in a quick one;
- redis_server, celery_venv: what Celery needs, installed and started by the benchmark;
- tables: the Markdown of a results file.
"""
