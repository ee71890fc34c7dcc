@resolution
Feature: Resolving names and IDs across stores
  A node may see the same artifact name in several places: in each read-only
  store it was configured with, and in its own main store. Kubelet and crictl
  ask for an artifact by name or by ID and must get one answer, the same on
  every node that has the same stores. So the look-up order is fixed (the
  read-only stores in configured order, then the main store, first hit wins),
  names are exact (nothing is silently rewritten to Docker Hub), and anything
  that is not a fully qualified name is an ID prefix.

  Background:
    Given a node with the read-only stores "first" and "second"

  Rule: Read-only stores are consulted in configured order, then the main store; the first hit wins

    @required @rule:resolve.order
    Scenario: The first read-only store wins over the second and over the main store
      Given the main store holds artifact C as "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v1"
      Then "llm:v1" resolves to artifact A

    @required @rule:resolve.order
    Scenario: A later read-only store still wins over the main store
      Given the main store holds artifact C as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v1"
      Then "llm:v1" resolves to artifact B

    @required @rule:resolve.order
    Scenario: The main store answers for what no read-only store holds
      Given the main store holds artifact C as "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v2"
      Then "llm:v1" resolves to artifact C
      And "llm:v2" resolves to artifact A

    @required @rule:resolve.not-found
    Scenario: A name that no store holds is not found
      Given the read-only store "first" holds artifact A as "llm:v1"
      When the client asks for the status of "llm:v2"
      Then it fails as not found

  Rule: A name is looked up by its tag (":latest" when it has none) or by repository and digest

    A reference with both a tag and a digest may be refused or resolved by its
    digest, never answered with another artifact (docs/contract.md, "Decisions").

    @required @rule:resolve.latest
    Scenario: A name without a tag means ":latest"
      Given the read-only store "second" holds artifact A as "llm:latest"
      Then "llm" resolves to artifact A

    @required @rule:resolve.by-digest
    Scenario: A name with a digest finds the artifact with that digest, whichever tag it carries
      Given the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v1"
      Then "llm@B" resolves to artifact B
      And "llm@A" resolves to artifact A

    @required @rule:resolve.by-digest
    Scenario: A name with a digest must match the repository too
      Given the read-only store "first" holds artifact A as "llm:v1"
      When the client asks for the status of "embeddings@A"
      Then it fails as not found

    @required @rule:resolve.tag-and-digest
    Scenario: A reference with a tag and a digest is refused, or resolved by its digest, never by its tag
      Given the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" holds artifact B as "llm:v2"
      When the client asks for the status of "llm:v1@B"
      Then it fails as an invalid reference or as not found, or gives artifact B

    @required @rule:resolve.tag-and-digest
    Scenario: A reference with a tag and a digest that no store holds is refused, not answered by its tag
      Given the read-only store "first" holds artifact A as "llm:v1"
      When the client asks for the status of "llm:v1@B"
      Then it fails as an invalid reference or as not found

  Rule: Anything that is not a fully qualified name is an ID: a prefix of the manifest digest's hex

    @required @rule:resolve.id-prefix
    Scenario Outline: An artifact is found by <which> of its ID
      Given the read-only store "second" holds artifact A as "llm:v1"
      Then <which> of the ID of artifact A resolves to artifact A

      Examples:
        | which                   |
        | all 64 characters       |
        | the first 12 characters |
        | the first 3 characters  |

    @required @rule:resolve.id-ambiguous
    Scenario: An ID prefix that matches two artifacts of one store is ambiguous, and the error names both
      Given artifacts A and B whose IDs start with the same 4 characters
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" holds artifact B as "llm:v2"
      When the client asks for the status of the first 4 characters of the ID of artifact A
      Then it fails as ambiguous, naming artifacts A and B

    @required @rule:resolve.id-ambiguous @rule:resolve.order
    Scenario: An ID prefix ambiguous in the first store is not answered from a later store
      Given artifacts A, B and C whose IDs start with the same 4 characters
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" holds artifact B as "llm:v2"
      And the read-only store "second" holds artifact C as "llm:v3"
      When the client asks for the status of the first 4 characters of the ID of artifact A
      Then it fails as ambiguous, naming artifacts A and B

    @required @rule:resolve.id-prefix @rule:resolve.order
    Scenario: An ID prefix that matches in two stores resolves in the first of them
      Given artifacts A and B whose IDs start with the same 4 characters
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      Then the first 4 characters of the ID of artifact A resolves to artifact A

    @required @rule:resolve.exact-names
    Scenario Outline: A short name such as "<name>" is not expanded to a Docker Hub name (<search>)
      A short name is answered with no artifact: "not found", or a refusal in
      the runtime's own words that names it, both keep the name exact. What
      must never happen is an answer for a name it was expanded to. The node
      is also run with Docker Hub as a search registry for short names (as
      many nodes are): a runtime that expands would then find artifact A.

      Given the read-only store "first" holds artifact A named "docker.io/library/unknown:latest"
      And the node has <search>
      When the client asks for the status of the unqualified name "<name>"
      Then no artifact is returned for "<name>": it is not found, or refused naming it

      Examples:
        | name                   | search                                     |
        | unknown                | no search registries for short names       |
        | unknown:latest         | no search registries for short names       |
        | library/unknown:latest | no search registries for short names       |
        | unknown                | docker.io as its search registry for short names |
        | unknown:latest         | docker.io as its search registry for short names |
        | library/unknown:latest | docker.io as its search registry for short names |

    @required @rule:resolve.exact-names
    Scenario: A repository path without its registry host is not a name
      Given the read-only store "first" holds artifact A as "llm:v1"
      When the client asks for the status of "llm:v1" without its registry host
      Then no artifact is returned for it: it is not found, or refused naming it

  Rule: An artifact under several names is one artifact to its ID

    @required @rule:resolve.id-several-names
    Scenario Outline: An artifact the main store holds under <names> answers to its ID
      Given the main store holds artifact A as "<first>"
      And the main store holds artifact A as "<second>"
      Then the ID of artifact A resolves to artifact A
      And the first 12 characters of the ID of artifact A resolves to artifact A

      Examples:
        | names            | first  | second     |
        | two tags         | llm:v1 | llm:latest |
        | two repositories | llm:v1 | other:v1   |

    @required @rule:resolve.id-several-names
    Scenario Outline: An artifact a read-only store holds under <names> answers to its ID
      Given the read-only store "first" holds artifact A as "<first>"
      And the read-only store "first" holds artifact A as "<second>"
      Then the ID of artifact A resolves to artifact A
      And the first 12 characters of the ID of artifact A resolves to artifact A

      Examples:
        | names            | first  | second     |
        | two tags         | llm:v1 | llm:latest |
        | two repositories | llm:v1 | other:v1   |

    @required @rule:resolve.id-several-names
    Scenario Outline: An artifact under one name in a read-only store and another in the main store answers to its ID (<names>)
      Given the read-only store "first" holds artifact A as "<first>"
      And the main store holds artifact A as "<second>"
      Then the ID of artifact A resolves to artifact A
      And the first 12 characters of the ID of artifact A resolves to artifact A

      Examples:
        | names            | first  | second     |
        | two tags         | llm:v1 | llm:latest |
        | two repositories | llm:v1 | other:v1   |
