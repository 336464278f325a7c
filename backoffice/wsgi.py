import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
application = get_wsgi_application()
# Everything loaded so far lives as long as the process: keep the garbage collector from
# scanning it again and again (a page with hundreds of rows otherwise pays for full collections).
gc.freeze()
