"""Django's Redis cache, with one Redis client per server instead of one per cache call.

Django's client builds a `redis.Redis` for every call, and building one fills its table of
response callbacks: about 0.3 ms of CPU each time, several times on every ranking page (the
session, each rendered text). Django gives each thread a cache backend of its own, so a client
is only shared by one thread's calls; it takes a connection from its server's pool for each.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return self._clients[index]


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
