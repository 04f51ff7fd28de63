"""APScheduler 3's SQLAlchemy job store table."""

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

REQUIREMENTS = ["apscheduler==3.11.3"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library table (Core)"

metadata = SQLAlchemyJobStore(url="sqlite://").jobs_t.metadata
