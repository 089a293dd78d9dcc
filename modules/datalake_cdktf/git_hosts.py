"""The Git hosts the pipelines take their sources from, and what each means for them.

GitHub, GitLab and Bitbucket are reached through one AWS CodeConnections connection (a
CodePipeline trigger starts runs, a CodeBuild webhook the pull-request builds); CodeCommit
is AWS's own, reached without one (EventBridge rules on its events start both). Which
host a deployment uses is config (``source.provider``); everything that depends on it
asks the :class:`GitHost` here, never the provider's name.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GIT_HOSTS", "GitHost", "git_host"]


@dataclass(frozen=True)
class GitHost:
    """``provider``: its name in config; ``domain``: where it serves repositories (``None``
    for CodeCommit, served per region); ``codebuild_type``: CodeBuild's source type;
    ``comments``: the pipelines put plan summaries on its pull requests (through GitHub's
    API; elsewhere the summary is in the pull request's build log)."""

    provider: str
    domain: str | None
    codebuild_type: str
    comments: bool = False

    @property
    def through_connection(self) -> bool:
        """Reached through a CodeConnections connection (every host but CodeCommit)."""
        return self.domain is not None

    @property
    def names_ignore_case(self) -> bool:
        """Whether ``owner/name`` and ``Owner/Name`` are one repository (CodeCommit's names are case-sensitive)."""
        return self.domain is not None

    def clone_url(self, repository_id: str, region: str) -> str:
        """Where CodeBuild clones ``repository_id`` (``owner/name``; CodeCommit: the name, in ``region``)."""
        if self.domain is None:
            return f"https://git-codecommit.{region}.amazonaws.com/v1/repos/{repository_id.split('/')[-1]}"
        return f"https://{self.domain}/{repository_id}.git"


GIT_HOSTS = {
    host.provider: host
    for host in (
        GitHost("GitHub", "github.com", "GITHUB", comments=True),
        GitHost("GitLab", "gitlab.com", "GITLAB"),
        GitHost("Bitbucket", "bitbucket.org", "BITBUCKET"),
        GitHost("CodeCommit", None, "CODECOMMIT"),
    )
}
"""Every host ``source.provider`` may name, by that name."""


def git_host(provider: str) -> GitHost:
    """The host ``source.provider`` names."""
    return GIT_HOSTS[provider]
