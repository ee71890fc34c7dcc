@pinning
Feature: Pinning: what image garbage collection may remove
  Kubelet frees disk space by removing images it considers unused, and it
  trusts the runtime's "pinned" flag to know what it must never touch. An
  artifact in a read-only store cannot be removed at all, so it is always
  reported pinned; otherwise kubelet would try to remove it at every pass and
  count space it never frees. A main-store artifact is pinned only when the
  operator's pinned_images patterns say so.

  Rule: Artifacts resolved from a read-only store are always pinned

    @required @rule:pin.read-only
    Scenario: A read-only artifact is pinned although no pattern names it
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A as "llm:v1"
      When the client lists the artifacts
      Then the list reports artifact A as pinned
      And the status of "llm:v1" reports it pinned

    @required @rule:pin.read-only
    Scenario: A read-only artifact without a name is pinned too
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A without a name
      When the client lists the artifacts
      Then the list reports artifact A as pinned

  Rule: A main-store artifact is pinned only when its reference or repository@digest matches a pinned_images pattern

    @required @rule:pin.patterns
    Scenario: A main-store artifact is not pinned when no pattern is configured
      Given a node without read-only stores
      And the registry has artifact A tagged "llm:v1"
      When the client pulls "llm:v1"
      Then the list reports artifact A as not pinned

    @required @rule:pin.patterns
    Scenario Outline: pinned_images "<pattern>" (<kind>) leaves "llm:v1" <pinned>
      Given a node without read-only stores, pinning images matching "<pattern>"
      And the registry has artifact A tagged "llm:v1"
      When the client pulls "llm:v1"
      Then the list reports artifact A as <pinned>

      Examples:
        | kind                                       | pattern   | pinned     |
        | exact reference                            | {llm}:v1  | pinned     |
        | exact reference of another tag             | {llm}:v2  | not pinned |
        | exact match needs the whole string         | {llm}     | not pinned |
        | exact repository@digest                    | {llm}@{A} | pinned     |
        | exact repository@digest of another digest  | {llm}@{B} | not pinned |
        | prefix glob on the tag                     | {llm}:v*  | pinned     |
        | prefix glob on the repository              | {llm}*    | pinned     |
        | prefix glob that does not match            | {llm}x*   | not pinned |
        | keyword anywhere                           | *llm*     | pinned     |
        | keyword that does not match                | *nomatch* | not pinned |
        | exact reference, upper case                | {LLM}:V1  | pinned     |
        | prefix glob, upper case                    | {LLM}*    | pinned     |
        | keyword, upper case                        | *LLM*     | pinned     |

    @required @rule:pin.per-id
    Scenario: A pattern that names one tag of an artifact pins each of its entries
      Given a node without read-only stores, pinning images matching "{llm}:v1"
      And the registry has artifact A tagged "llm:v1"
      And the registry has artifact A tagged "llm:v2"
      And the client has pulled "llm:v1" and "llm:v2"
      When the client lists the artifacts
      Then the list reports artifact A as pinned
      And the status of "llm:v2" reports it pinned

    @optional @rule:pin.reload
    Scenario: pinned_images is re-read without a restart
      Given a node without read-only stores
      And the registry has artifact A tagged "llm:v1"
      And the client has pulled "llm:v1"
      When the node reloads its configuration, now pinning images matching "{llm}:v1"
      Then the list reports artifact A as pinned

  Rule: A kubelet-style image garbage collector removes only unpinned, unused main-store artifacts

    @required @rule:gc.kubelet-collector
    Scenario: Garbage collection spares read-only, pinned and in-use artifacts
      Given a node with the read-only store "first", pinning images matching "{llm}:v1"
      And the read-only store "first" holds artifact C as "datasets:v1"
      And the registry has artifact A tagged "llm:v1"
      And the registry has artifact B tagged "llm:v2"
      And the registry has artifact D tagged "llm:v3"
      And the client has pulled "llm:v1", "llm:v2" and "llm:v3"
      And artifact D is in use by a container
      When the image garbage collector frees as much space as it can
      Then the garbage collector removed artifact B only
      And the list shows artifacts A, C and D
      And the list does not show artifact B

    @required @rule:gc.kubelet-collector @rule:resolve.id-several-names
    Scenario Outline: Garbage collection reclaims an artifact the main store holds under <names>
      Given a node without read-only stores
      And the main store holds artifact A as "<first>"
      And the main store holds artifact A as "<second>"
      When the image garbage collector frees as much space as it can
      Then the garbage collector removed artifact A only
      And the list does not show artifact A

      Examples:
        | names            | first  | second     |
        | two tags         | llm:v1 | llm:latest |
        | two repositories | llm:v1 | other:v1   |

    @required @rule:gc.kubelet-collector
    Scenario: Garbage collection removes the least recently used artifacts first, until enough is freed
      Given a node without read-only stores
      And the registry has artifact A tagged "llm:v1"
      And the registry has artifact B tagged "llm:v2"
      And the client has pulled "llm:v1" and "llm:v2"
      And a container used artifact B, then one used artifact A
      When the image garbage collector frees the size of artifact B
      Then the garbage collector removed artifact B only
      And the list shows artifact A tagged "llm:v1"

    @required @rule:gc.kubelet-collector @rule:pin.read-only
    Scenario: Garbage collection by age removes what no container used for longer than the maximum age, never a read-only artifact
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact C as "datasets:v1"
      And the registry has artifact A tagged "llm:v1"
      And the registry has artifact B tagged "llm:v2"
      And the client has pulled "llm:v1" and "llm:v2"
      And a container used artifact A
      And 3 hours pass
      And a container used artifact B
      When the image garbage collector removes images unused for more than 2 hours
      Then the garbage collector removed artifact A only
      And the list shows artifacts B and C
      And the list does not show artifact A

    @required @rule:pin.per-id
    Scenario: Garbage collection keeps an artifact one of whose tags is pinned, whichever of its entries is listed last
      Given a node without read-only stores, pinning images matching "{llm}:v1"
      And the registry has artifact A tagged "llm:v1"
      And the registry has artifact A tagged "llm:v2"
      And the registry has artifact B tagged "llm:v3"
      And the client has pulled "llm:v1", "llm:v2" and "llm:v3"
      When the image garbage collector frees as much space as it can
      Then the garbage collector removed artifact B only
      And the list shows artifact A tagged "llm:v1"
