"""Scale-out: the pipeline's batch functions run by an existing distributed
engine (Ray Data), the database written once by the driver.

    engine.py      --engine local|ray for `vnfacts extract` and `vnfacts ingest`
    ray_engine.py  the Ray Data jobs: shards in, an actor pool, shards out
    shards.py      input record shards and output shard collection (no SQL; that is store/shards.py)

Ray is optional (`pip install -e '.[ray]'`); nothing here imports it until a
Ray job starts.
"""
