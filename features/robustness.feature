@robustness
Feature: Robustness: faults are contained, and nothing half-done is kept
  A node meets registries that fail, stall or lie, read-only stores that
  vanish or were written by someone careless or hostile, and pulls that race
  each other or die. Whatever happens, what the main store held stays intact
  and consistent, nothing temporary is left behind, no read-only store can
  make the runtime escape a directory, hang or run out of memory, and once
  the fault is gone everything works again. So every scenario here checks
  what was kept, not only that an error was reported.

  Calls that a fault could make hang are bounded ("within N seconds"): a
  system that does not answer in time fails the scenario instead of blocking
  the suite.

  Rule: A pull that fails leaves the main store byte for byte as it was, leaves nothing behind, and a retry succeeds

    @required @rule:pull.atomic
    Scenario Outline: When the registry <fault>, the pull fails, the main store keeps what it held, and a retry succeeds
      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And the registry has artifact A tagged "llm:v1"
      And the registry <fault>
      When the client pulls "llm:v1"
      Then it fails
      And the main store is unchanged
      And no temporary files are left under the node's root
      And the list does not show artifact A
      And "llm:v0" resolves to artifact C
      When the registry is healthy again
      And the client pulls "llm:v1"
      Then the pull returns artifact A
      And the main store holds "llm:v1" as artifact A
      And the main store is consistent
      And no temporary files are left under the node's root

      Examples:
        | fault                                                                              |
        | answers 500 to the layer of artifact A                                             |
        | answers 404 to the layer of artifact A                                             |
        | cuts the connection in the middle of the layer of artifact A, on every request     |
        | stalls for 1 second in the middle of the layer of artifact A, then cuts the connection, on every request |
        | serves the layer of artifact A with its bytes altered                              |
        | serves the manifest of "llm:v1" with its bytes altered                             |
        | refuses connections                                                                |

    @required @rule:pull.atomic @rule:digest.preserved
    Scenario Outline: When the registry <fault> once, a pull that recovers stores exactly the registry's bytes, and one that does not keeps what the main store held
      A fault "on every request" (above) meets every retry at the same byte of
      the blob, also a retry that resumes with a ranged request: no pull gets
      past it. A fault "once" meets only the first request: a runtime may
      recover, and then must have stored exactly what the registry serves.

      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And the registry has artifact A tagged "llm:v1"
      And the registry <fault> once
      When the client pulls "llm:v1"
      Then the pull returns artifact A, or fails leaving the main store unchanged
      And if the pull succeeded, the main store holds exactly the registry's bytes of artifact A
      And the main store is consistent
      And no temporary files are left under the node's root
      And "llm:v0" resolves to artifact C

      Examples:
        | fault                                                                              |
        | cuts the connection in the middle of the layer of artifact A                       |
        | stalls for 1 second in the middle of the layer of artifact A, then cuts the connection |

    @optional @rule:pull.error-names-blob
    Scenario Outline: The error of a pull that failed on a blob names that blob (<fault>)
      Given a node without read-only stores
      And the registry has artifact A tagged "llm:v1"
      And the registry <fault>
      When the client pulls "llm:v1"
      Then it fails, naming the digest of the layer of artifact A

      Examples:
        | fault                                                 |
        | answers 500 to the layer of artifact A                |
        | serves the layer of artifact A with its bytes altered |

    @optional @rule:pull.progress-timeout
    Scenario: A pull that makes no progress for pull_progress_timeout is given up, and the main store keeps what it held
      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And the registry has artifact A tagged "llm:v1"
      And the node runs, giving up a pull that makes no progress for 1 second
      And the registry stalls for 4 seconds in the middle of the layer of artifact A, on every request
      When the client pulls "llm:v1", which must end within 3 seconds
      Then it fails
      And the main store is unchanged
      And no temporary files are left under the node's root
      When the registry is healthy again
      And the client pulls "llm:v1"
      Then the pull returns artifact A

    @required @rule:faults.bounded
    Scenario: A manifest nested 5,000 arrays deep (valid JSON, accepted by the registry) never crashes the node
      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And the registry has artifact A tagged "llm:v1" with an extra field nested 5,000 arrays deep
      When the client pulls "llm:v1", which must end within 10 seconds
      Then the pull returns artifact A, or fails leaving the main store unchanged
      And the list shows "llm:v0" once, as artifact C

  Rule: A read-only store that disappears while the node runs hides only itself, and is served again when it is back

    @required @rule:faults.store-contained
    Scenario Outline: A read-only store that is <gone> while in use hides only itself, and is picked up again
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the registry has artifact B tagged "llm:v2"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the main store holds artifact C as "llm:v3"
      When the client lists the artifacts
      Then the list shows artifacts A, B and C
      When the read-only store "first" is <gone>
      And the client lists the artifacts within 10 seconds
      Then the list shows artifact B tagged "llm:v2"
      And the list shows artifact C tagged "llm:v3"
      And the list does not show artifact A
      And "llm:v2" resolves to artifact B
      And "llm:v1" is not found
      And a warning names the read-only store "first"
      When the client pulls "llm:v2"
      Then the pull returns artifact B
      And no blob was downloaded from the registry
      When the read-only store "first" is back
      And the client lists the artifacts within 10 seconds
      Then the list shows artifact A tagged "llm:v1"
      And "llm:v1" resolves to artifact A
      And nothing was created at the path of the read-only store "first" while it was gone

      Examples:
        | gone                           |
        | renamed away                   |
        | deleted                        |
        | replaced by an empty directory |
        | replaced by a regular file     |

  Rule: Damage in a read-only store is reported, never served as valid content, and never breaks the other stores

    @required @rule:faults.store-contained
    Scenario Outline: In a read-only store, <damage>: the other stores are still served, and nothing damaged is handed out
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And in the read-only store "first", <damage>
      When the client lists the artifacts within 10 seconds
      Then the list shows artifact B tagged "llm:v2"
      And "llm:v2" resolves to artifact B
      When the client asks for the mount paths of "llm:v1" within 10 seconds
      Then no mount path hands out damaged content, or content from outside the stores
      And the damage in the read-only store "first" is reported
      And the main store is unchanged

      Examples:
        | damage                                                                 |
        | index.json is not valid JSON                                           |
        | index.json is a named pipe                                             |
        | the manifest of artifact A is a named pipe                             |
        | the manifest of artifact A gives a layer size that is not a number     |
        | the manifest of artifact A lists a layer that is not an object         |
        | the layer of artifact A is missing                                     |
        | the layer of artifact A does not match its digest                      |
        | the layer of artifact A is a symbolic link to a copy outside the store |
        | the layer of artifact A is a named pipe                                |

    @optional @rule:faults.no-symlink-escape
    Scenario: In a read-only store, a manifest that is a symbolic link to a copy outside the store is not followed
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And in the read-only store "first", the manifest of artifact A is a symbolic link to a copy outside the store
      When the client lists the artifacts within 10 seconds
      Then the list shows artifact B tagged "llm:v2"
      And "llm:v1" does not resolve to artifact A
      And the damage in the read-only store "first" is reported

    @required @rule:faults.manifest-verified
    Scenario: In a read-only store, a manifest rewritten into other valid JSON is not served, under its digest or another
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And in the read-only store "first", the manifest of artifact A is rewritten as other valid JSON
      When the client lists the artifacts within 10 seconds
      Then the list shows nothing tagged "llm:v1"
      And the status of "llm:v1" answers no artifact
      And the list shows artifact B tagged "llm:v2"

  Rule: Hostile metadata in a read-only store never escapes a directory, exhausts memory or hangs

    @required @rule:faults.store-contained
    Scenario Outline: A read-only store with an entry <hostile> still lets every other store be served
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the read-only store "first" also has an entry <hostile>
      When the client lists the artifacts within 10 seconds
      Then the list shows artifact B tagged "llm:v2"
      And "llm:v2" resolves to artifact B
      And every listed tag is a well-formed reference
      And the main store is unchanged

      Examples:
        | hostile                                    |
        | named "../../../../etc/passwd"             |
        | named with a NUL byte                      |
        | named with 100,000 characters              |
        | whose digest is "sha256:../../../etc/passwd" |
        | whose digest is "/etc/passwd"              |
        | whose annotations are a list               |
        | that is not an object                      |
        | whose manifest is nested 100,000 arrays deep |
        | whose manifest is larger than 4 MiB        |

    @optional @rule:faults.entry-contained
    Scenario Outline: A read-only store with an entry <hostile> still serves its other entries
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" also has an entry <hostile>
      When the client lists the artifacts within 10 seconds
      Then the list shows artifact A tagged "llm:v1"
      And "llm:v1" resolves to artifact A

      Examples:
        | hostile                                      |
        | whose digest is "sha256:../../../etc/passwd" |
        | whose annotations are a list                 |
        | whose manifest is nested 100,000 arrays deep |

    @required @rule:faults.bounded
    Scenario Outline: A read-only store whose index.json is <enormous> is skipped or served in bounded time and memory
      Given a node with the read-only stores "first" and "second"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the read-only store "first" has an index.json <enormous>
      When the client lists the artifacts within 20 seconds
      Then the list shows artifact B tagged "llm:v2"
      And "llm:v2" resolves to artifact B
      And the node took less than 512 MiB of memory for it

      Examples:
        | enormous                                       |
        | larger than 64 MiB                             |
        | nested 100,000 arrays deep                     |
        | of 100,000 entries whose manifests are missing |
        | of 10 million empty objects                    |

    @required @rule:faults.bounded
    Scenario: A read-only store with 100,000 names is searched in bounded time and memory
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A under 100,000 names, "llm:t0" to "llm:t99999"
      And the read-only store "second" holds artifact B as "llm:v2"
      When the client asks for the status of "llm:t99999" within 20 seconds
      Then "llm:t99999" resolves to artifact A
      And "llm:v2" resolves to artifact B
      And the node took less than 512 MiB of memory for it

    @required @rule:ref.length-limits
    Scenario: A reference at the length limits (a 255-character name, a 128-character tag) is pulled, listed and resolved
      Given a node without read-only stores
      And the registry has artifact A under the longest reference: a 255-character name with a 128-character tag
      When the client pulls the longest reference
      Then the pull returns artifact A
      And the list shows artifact A tagged with the longest reference
      And the longest reference resolves to artifact A

    @required @rule:ref.length-limits
    Scenario Outline: A reference <beyond> is refused, and the main store is unchanged
      Given a node without read-only stores
      When the client pulls a reference <beyond>
      Then it fails
      And the main store is unchanged

      Examples:
        | beyond                       |
        | whose name has 256 characters |
        | whose tag has 129 characters  |

    @required @rule:ref.length-limits @rule:list.unnamed-visible
    Scenario: In a read-only store, the longest reference is a name; longer ones leave their artifacts listed without tags
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A under the longest reference: a 255-character name with a 128-character tag
      And the read-only store "first" holds artifact B under a name of 256 characters
      And the read-only store "first" holds artifact D under a name with a 129-character tag
      When the client lists the artifacts within 10 seconds
      Then the list shows artifact A tagged with the longest reference
      And the list shows artifact B without tags
      And the list shows artifact D without tags
      And every listed tag is a well-formed reference

  Rule: Concurrent and interrupted pulls leave one consistent main store

    @required @rule:pull.concurrent
    Scenario: Pulls of the same and of different references, in 8 threads at once, leave one consistent main store
      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And artifact D shares a layer with artifact A
      And the registry has artifact A tagged "llm:v1"
      And the registry has artifact B tagged "llm:v2"
      And the registry has artifact D tagged "other:v1"
      When 8 threads pull "llm:v1", "llm:v2" and "other:v1" at once, within 30 seconds
      Then every concurrent pull succeeded with artifacts A, B and D respectively
      And the list shows "llm:v1" once, as artifact A
      And the list shows "llm:v2" once, as artifact B
      And the list shows "other:v1" once, as artifact D
      And the list shows "llm:v0" once, as artifact C
      And each listed artifact has the same ID, tags, size and pinning as its status
      And the main store is consistent
      And no temporary files are left under the node's root

    @required @rule:pull.concurrent
    Scenario: Pulls in 4 separate processes at once leave one consistent main store
      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And artifact D shares a layer with artifact A
      And the registry has artifact A tagged "llm:v1"
      And the registry has artifact B tagged "llm:v2"
      And the registry has artifact D tagged "other:v1"
      When 4 processes pull "llm:v1", "llm:v2" and "other:v1" at once, within 60 seconds
      Then every concurrent pull succeeded with artifacts A, B and D respectively
      And the list shows "llm:v1" once, as artifact A
      And the list shows "llm:v2" once, as artifact B
      And the list shows "other:v1" once, as artifact D
      And the list shows "llm:v0" once, as artifact C
      And the main store is consistent
      And no temporary files are left under the node's root

    @required @rule:pull.atomic
    Scenario: A runtime killed with SIGKILL in the middle of a pull leaves its main store as it was, and pulls again once restarted
      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And the registry has artifact A tagged "llm:v1"
      When the runtime is killed with SIGKILL in the middle of a pull of "llm:v1", in the layer of artifact A, and started again
      Then the list shows exactly what it showed before that pull
      And the main store is unchanged
      And no temporary files are left under the node's root
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And the main store is consistent

    @required @rule:pull.atomic
    Scenario: A pull killed with SIGKILL in the middle of a blob leaves the main store as it was, and a later pull succeeds
      Given a node without read-only stores
      And the main store holds artifact C as "llm:v0"
      And the registry has artifact A tagged "llm:v1"
      When a pull of "llm:v1" in a separate process is killed with SIGKILL in the middle of the layer of artifact A
      Then the list shows exactly what it showed before that pull
      And the main store is unchanged
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And the main store is consistent
      And no temporary files are left under the node's root
