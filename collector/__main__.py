from .cli import main

if __name__ == "__main__":  # worker processes (spawned, see ingest._Prechecks) import this module too
    main()
