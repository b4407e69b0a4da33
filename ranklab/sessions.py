"""Sessions read from the cache and kept in the database, that carry on while the cache is away.

Django's `cached_db` store guards its cache read and the write after a save, but not the
write after a database read, the existence check or the delete: with Redis down, every
logged-in request would be a 500. The database copy is the durable one, so here a cache call
that fails is logged and the request goes on with the database alone. A session deleted
(logged out) while the cache was away may linger in a cache that kept its data; the cache
copy expires with the session.
"""

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def _cache_quietly(self, operation: str, *args, default=None):
        try:
            return getattr(self._cache, operation)(*args)
        except Exception as error:
            logger.warning("Session cache %s failed (%s); using the database alone", operation, error)
            return default

    def load(self):
        data = self._cache_quietly("get", self.cache_key)
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        self._cache_quietly("set", self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key):
        if session_key and self._cache_quietly("has_key", self.cache_key_prefix + session_key, default=False):
            return True
        return super(cached_db.SessionStore, self).exists(session_key)

    def delete(self, session_key=None):
        super(cached_db.SessionStore, self).delete(session_key)
        session_key = session_key or self.session_key
        if session_key is not None:
            self._cache_quietly("delete", self.cache_key_prefix + session_key)
